"""Git through pygit2: plain operations, revision selection, ``.dvc`` files in history."""

from __future__ import annotations

from dvcremote.scm.dvcfiles import DvcfileBlob, DvcfileReader, ParsedDvcfile, is_dvcfile_name
from dvcremote.scm.git import Git
from dvcremote.scm.revisions import WORKSPACE, Revision, all_commit_shas, select_revisions

__all__ = [
    "WORKSPACE",
    "DvcfileBlob",
    "DvcfileReader",
    "Git",
    "ParsedDvcfile",
    "Revision",
    "all_commit_shas",
    "is_dvcfile_name",
    "select_revisions",
]
