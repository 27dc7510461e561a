"""The ``dvcremote`` command line.

Only ``argparse`` is imported up front so that ``dvcremote --help`` starts fast;
each command imports what it needs. Exit codes (see docs/cli.md):

0 success · 1 ``status`` found something not in sync (``test-remote``: a test
failed) · 2 usage error · 3 an error, or some files failed · 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

EXIT_OK = 0
EXIT_NOT_IN_SYNC = 1
EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130

_MAX_LISTED = 20


class _Out:
    """Where command output goes; quiet mode keeps only errors."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def info(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stdout, flush=True)

    def data(self, text: str) -> None:
        """Output asked for explicitly (``--json``, ``remote list``): printed even with -q."""
        print(text, file=sys.stdout, flush=True)

    def warn(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)


def _targets(args: argparse.Namespace) -> list[str] | None:
    targets = getattr(args, "targets", None)
    return [os.path.abspath(t) for t in targets] if targets else None


def _revisions(args: argparse.Namespace) -> dict[str, Any]:
    """The history options (``--rev``, ``-a``, ``-T``, ``-A``) as API keyword arguments."""
    return {
        "revs": getattr(args, "revs", None),
        "all_branches": getattr(args, "all_branches", False),
        "all_tags": getattr(args, "all_tags", False),
        "all_commits": getattr(args, "all_commits", False),
    }


def _repo(args: argparse.Namespace) -> Any:
    from dvcremote.repo import Repo

    return Repo(os.getcwd(), lock_wait=getattr(args, "lock_wait", 0.0))


def _progress(args: argparse.Namespace) -> Any:
    from dvcremote.progress import for_terminal

    return for_terminal(args.quiet)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _report_failures(out: _Out, failed: dict[str, Any], what: str) -> None:
    for i, (key, error) in enumerate(sorted(failed.items())):
        if i == _MAX_LISTED:
            out.warn(f"ERROR: ... and {len(failed) - _MAX_LISTED} more {what} failed")
            break
        out.warn(f"ERROR: {key}: {error}")


# ------------------------------------------------------------------------------ commands
def cmd_init(args: argparse.Namespace, out: _Out) -> int:
    from dvcremote.repo import Repo

    repo = Repo.init(os.getcwd(), no_scm=args.no_scm or None, force=args.force)
    where = "outside git" if repo.git is None else "in git (config staged)"
    out.info(f"Initialized dvcremote repository in {repo.root} ({where})")
    return EXIT_OK


def cmd_add(args: argparse.Namespace, out: _Out) -> int:
    repo = _repo(args)
    with repo:
        result = repo.add(
            _targets(args) or [], commit=args.commit, jobs=args.jobs, progress=_progress(args)
        )
    files = sum(o.nfiles or 1 for o in result.outputs)
    out.info(f"Added {_plural(len(result.outputs), 'output')} ({_plural(files, 'file')})")
    if result.gitignores and not args.commit:
        dvcfiles = " ".join(o.dvcfile for o in result.outputs)
        out.info(f"To track the changes with git: git add {dvcfiles} {' '.join(result.gitignores)}")
    return EXIT_OK


def cmd_stage_add(args: argparse.Namespace, out: _Out) -> int:
    from dvcremote.stage_add import parse_cmd

    if not args.command:
        out.warn("ERROR: a command is required: dvcremote stage add -n NAME [options] CMD")
        return EXIT_USAGE
    repo = _repo(args)
    with repo:
        wdir = os.path.relpath(os.path.abspath(args.wdir)) if args.wdir else None
        result = repo.stage_add(
            args.name, parse_cmd(args.command), deps=args.deps, params=args.params,
            outs=args.outs, outs_no_cache=args.outs_no_cache, outs_persist=args.outs_persist,
            outs_persist_no_cache=args.outs_persist_no_cache, metrics=args.metrics,
            metrics_no_cache=args.metrics_no_cache, plots=args.plots,
            plots_no_cache=args.plots_no_cache,
            wdir=wdir.replace(os.sep, "/") if wdir else None,
            always_changed=args.always_changed, desc=args.desc, force=args.force,
            pipeline=os.path.join(os.getcwd(), "dvc.yaml"),
        )
        pipeline = os.path.relpath(repo.full_path(result.pipeline))
        out.info(f"Added stage {result.name!r} in {pipeline!r}")
        changed = [result.pipeline, *result.gitignores]
        if args.run:
            repro = repo.reproduce(
                [f"{repo.full_path(result.pipeline)}:{result.name}"],
                single_item=True, run=True, log=out.info, cwd=os.getcwd(),
            )
            changed += repro.locks
        if repo.git is not None:  # dvc lists them sorted
            files = sorted({os.path.relpath(repo.full_path(f)) for f in changed})
            out.info(f"\nTo track the changes with git, run:\n\n\tgit add {' '.join(files)}")
    return EXIT_OK


def cmd_repro(args: argparse.Namespace, out: _Out) -> int:
    repo = _repo(args)
    with repo:
        result = repo.reproduce(
            _stage_targets(args.targets),
            force=args.force, single_item=args.single_item, run_cache=not args.no_run_cache,
            pull=args.pull, commit=not args.no_commit, log=out.info, cwd=os.getcwd(),
            dry=args.dry, recursive=args.recursive, glob=args.glob, pipeline=args.pipeline,
            all_pipelines=args.all_pipelines, downstream=args.downstream,
            force_downstream=args.force_downstream, on_error=args.on_error,
            confirm=_confirm if args.interactive else None,
        )
        _repro_hint(out, result, repo, dry=args.dry)
    return EXIT_OK


def cmd_commit(args: argparse.Namespace, out: _Out) -> int:
    from dvcremote.errors import PipelineError

    repo = _repo(args)
    with repo:
        try:
            repo.commit(
                _stage_targets(args.targets) if args.targets else None, force=args.force,
                with_deps=args.with_deps, recursive=args.recursive, confirm=_confirm,
                log=out.info, cwd=os.getcwd(),
            )
        except PipelineError as exc:  # dvc's "failed to commit[ TARGET] - ..."
            target = f" {' '.join(args.targets)}" if args.targets else ""
            out.warn(f"ERROR: failed to commit{target} - {exc}")
            return EXIT_FAILED
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, out: _Out) -> int:
    repo = _repo(args)
    with repo:
        for target in args.targets:  # relative to the current folder, as in dvc
            repo.remove(target, outs=args.outs, cwd=os.getcwd())
    return EXIT_OK


def _confirm(question: str) -> bool:
    """dvc's ``prompt.confirm``: only a terminal can answer yes (EOF is no)."""
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{question} [y/n] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _stage_targets(targets: Sequence[str]) -> list[str]:
    """Repro targets made absolute from the current folder, as dvc reads them: a
    ``path:name``, an existing path, else a stage name of ``./dvc.yaml`` (the default)."""
    here = os.path.join(os.getcwd(), "dvc.yaml")
    found: list[str] = []
    for t in targets:
        head, sep, name = t.rpartition(":")
        if sep and head and "/" not in name:
            found.append(f"{os.path.abspath(head)}:{name}")
        elif os.path.exists(t):
            found.append(os.path.abspath(t))
        else:
            found.append(f"{here}:{t}")
    return found or [here]


def _repro_hint(out: _Out, result: Any, repo: Any, *, dry: bool = False) -> None:
    if not (result.ran or result.restored):
        out.info("Data and pipelines are up to date.")
        return
    if dry:
        return
    if result.locks and repo.git is not None:
        locks = " ".join(os.path.relpath(repo.full_path(p)) for p in result.locks)
        out.info(f"\nTo track the changes with git, run:\n\n\tgit add {locks}")
    out.info("\nTo push the outputs to a remote: dvcremote push")


def _run_entries(n: int) -> str:
    return f"{n} run-cache {'entry' if n == 1 else 'entries'}"


def _runs_report(out: _Out, summary: Any, verb: str, asked: bool) -> None:
    """The run cache's part of a push/fetch: why it was skipped, its failures, and (for
    a fetch, where dvc does not count them as files) how many entries came."""
    if not asked:
        return
    if summary.runs_skipped:
        out.warn(f"WARNING: run cache not {verb}: {summary.runs_skipped}")
    _report_failures(out, dict(summary.runs_failed), "run-cache entries")
    if verb != "pushed" and not summary.runs_skipped:
        out.info(f"{_run_entries(len(summary.runs))} {verb}")


def _imported(out: _Out, result: Any) -> int:
    added = result.outputs[0]
    files = _plural(added.nfiles or 1, "file")
    out.info(f"Imported {added.path!r} ({files}); its .dvc file is {added.dvcfile}")
    if result.gitignores:
        out.info(f"To track the changes with git: git add {added.dvcfile} "
                 + " ".join(result.gitignores))
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: _Out) -> int:
    with _repo(args) as repo:
        result = repo.import_repo(
            args.url,
            args.path,
            out=os.path.abspath(args.out or os.path.basename(args.path.rstrip("/"))),
            rev=args.rev,
            jobs=args.jobs,
            progress=_progress(args),
        )
    return _imported(out, result)


def cmd_import_url(args: argparse.Namespace, out: _Out) -> int:
    with _repo(args) as repo:
        source = args.url
        if "://" not in source and not os.path.isabs(source):
            source = os.path.relpath(os.path.abspath(source), repo.root)
        result = repo.import_url(
            source,
            os.path.abspath(args.out or os.path.basename(args.url.rstrip("/"))),
            jobs=args.jobs,
            progress=_progress(args),
        )
    return _imported(out, result)


def _transfer_exit(out: _Out, summary: Any, verb: str, run_cache: bool = False) -> int:
    _runs_report(out, summary, verb, run_cache)
    _report_failures(out, dict(summary.failed), "objects")
    if summary.missing:
        listed = sorted(summary.missing)
        shown = ", ".join(listed[:5]) + (" ..." if len(listed) > 5 else "")
        where = "the cache" if verb == "pushed" else f"remote {summary.remote!r}"
        out.warn(f"ERROR: {_plural(len(listed), 'object')} not in {where}: {shown}")
    _report_failures(out, dict(summary.delete_failed), "deletions")
    # dvc counts the run-cache files it pushes among the files pushed (not those fetched).
    files = len(summary.transferred) + (len(summary.runs) if verb == "pushed" else 0)
    parts = [f"{_plural(files, 'file')} {verb}"]
    if summary.deleted:
        parts.append(f"{len(summary.deleted)} deleted from the remote")
    if summary.up_to_date:
        parts.append(f"{summary.up_to_date} already up to date")
    if summary.failed:
        parts.append(f"{len(summary.failed)} failed")
    if summary.delete_failed:
        parts.append(f"{len(summary.delete_failed)} not deleted")
    if summary.missing:
        parts.append(f"{len(summary.missing)} missing")
    if summary.runs_failed:
        parts.append(f"{_run_entries(len(summary.runs_failed))} failed")
    out.info(", ".join(parts))
    return EXIT_OK if summary.ok else EXIT_FAILED


def cmd_push(args: argparse.Namespace, out: _Out) -> int:
    with _repo(args) as repo:
        summary = repo.push(
            _targets(args),
            remote=args.remote,
            jobs=args.jobs,
            progress=_progress(args),
            run_cache=args.run_cache,
            **_revisions(args),
        )
    return _transfer_exit(out, summary, "pushed", args.run_cache)


def cmd_fetch(args: argparse.Namespace, out: _Out) -> int:
    with _repo(args) as repo:
        summary = repo.fetch(
            _targets(args),
            remote=args.remote,
            jobs=args.jobs,
            progress=_progress(args),
            run_cache=args.run_cache,
            **_revisions(args),
        )
    return _transfer_exit(out, summary, "fetched", args.run_cache)


def _checkout_exit(out: _Out, result: Any, prefix: str = "") -> int:
    _report_failures(out, dict(result.failed), "paths")
    parts = [f"{len(result.added)} added", f"{len(result.modified)} modified"]
    if result.deleted:
        parts.append(f"{len(result.deleted)} deleted")
    if result.failed:
        parts.append(f"{len(result.failed)} not restored")
    out.info(prefix + ", ".join(parts))
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_pull(args: argparse.Namespace, out: _Out) -> int:
    with _repo(args) as repo:
        result = repo.pull(
            _targets(args),
            remote=args.remote,
            jobs=args.jobs,
            force=args.force,
            progress=_progress(args),
            run_cache=args.run_cache,
            **_revisions(args),
        )
    # The fetch's failures and missing objects are reported once, here; its summary
    # line gives way to the pull's.
    fetch_code = _transfer_exit(_Out(True), result.fetch, "fetched")
    _runs_report(out, result.fetch, "fetched", args.run_cache)
    code = _checkout_exit(
        out, result.checkout, f"{_plural(len(result.fetch.transferred), 'file')} fetched; "
    )
    return max(code, fetch_code)


def cmd_checkout(args: argparse.Namespace, out: _Out) -> int:
    with _repo(args) as repo:
        result = repo.checkout(
            _targets(args), force=args.force, jobs=args.jobs, progress=_progress(args)
        )
    return _checkout_exit(out, result)


def cmd_update(args: argparse.Namespace, out: _Out) -> int:
    with _repo(args) as repo:
        result = repo.update(
            _targets(args),
            remote=args.remote,
            rev=args.rev,
            jobs=args.jobs,
            progress=_progress(args),
        )
    for path, why in result.skipped.items():
        out.warn(f"WARNING: {path}: {why}")
    _report_failures(out, dict(result.failed), "files")
    if result.fetch is not None:
        _report_failures(out, dict(result.fetch.failed), "objects")
    if result.checkout is not None:
        _report_failures(out, dict(result.checkout.failed), "paths")
    out.info(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_check_ignore(args: argparse.Namespace, out: _Out) -> int:
    """DVC's ``check-ignore``: exit 0 when some path matched a rule, else 1."""
    from dvcremote.dvcignore import DvcIgnore
    from dvcremote.index import to_repo_path

    if (args.all or args.non_matching) and not args.details:
        out.warn("ERROR: -a and -n need -d")
        return EXIT_USAGE
    if bool(args.targets) == bool(args.stdin):
        out.warn("ERROR: give paths, or --stdin (not both)")
        return EXIT_USAGE
    targets = [line.rstrip("\n") for line in sys.stdin] if args.stdin else args.targets
    with _repo(args) as repo:
        ignore = DvcIgnore(repo.root)
        matched_any = False
        for target in filter(None, targets):
            rel = to_repo_path(repo.root, target)
            is_dir = target.endswith("/") or os.path.isdir(os.path.join(repo.root, rel))
            ignored, rules = ignore.explain(rel, is_dir)
            if not args.details:
                if ignored:
                    matched_any = True
                    out.data(target)
                continue
            # -a lists the same rule as -d: dvc 3.x names one deciding rule per path.
            for rule in rules:
                out.data(f"{rule.source}:{rule.line}:{rule.text}\t{target}")
            matched_any = matched_any or bool(rules)
            if not rules and args.non_matching:
                out.data(f"::\t{target}")
    return EXIT_OK if matched_any else EXIT_NOT_IN_SYNC


def cmd_status(args: argparse.Namespace, out: _Out) -> int:
    """dvc's output (text, ``--json``); ``--json-objects`` is dvcremote's object view.
    Exit 1 when something is not in sync (dvc: only with -q), -q prints nothing."""
    import json

    from dvcremote import status_output as fmt

    history = _revisions(args)
    cloud = args.cloud or args.remote
    if args.json_objects and not cloud:
        out.warn("ERROR: --json-objects compares the cache with a remote: add -c")
        return EXIT_USAGE
    if not cloud and any(history.values()):
        out.warn("ERROR: --rev and --all-* compare the cache with a remote: add -c")
        return EXIT_USAGE
    with _repo(args) as repo:
        namer = fmt.Namer(repo.root, os.getcwd())
        if not _tracks_anything(repo.root) and not args.json_objects and not any(
            history.values()
        ):
            # as dvc: nothing to compare, so no remote is needed either
            if args.json and not args.quiet:
                out.data("{}")
            elif not args.quiet:
                out.info(fmt.EMPTY_PROJECT)
            return EXIT_OK
        if cloud:
            return _cloud_status(args, out, repo, namer, history)
        ws = repo.workspace_status(_targets(args), jobs=args.jobs)
        code = EXIT_OK if ws.clean else EXIT_NOT_IN_SYNC
        if args.quiet:
            return code
        if args.json:
            out.data(json.dumps(fmt.workspace_json(ws, namer)))
        elif not ws.clean:
            for line in fmt.workspace_lines(ws, namer):
                out.info(line)
        else:
            out.info(fmt.UP_TO_DATE)
        return code


def _cloud_status(
    args: argparse.Namespace, out: _Out, repo: Any, namer: Any, history: dict[str, Any]
) -> int:
    """``status -c`` / ``-r``: dvc's lines or JSON, or ``--json-objects``."""
    import json

    from dvcremote import status_output as fmt

    result = repo.remote_status(_targets(args), remote=args.remote, jobs=args.jobs, **history)
    code = EXIT_OK if result.in_sync else EXIT_NOT_IN_SYNC
    if args.quiet:
        return code
    if args.json_objects:
        out.data(json.dumps(result.to_json()))
        return code
    if args.json:
        out.data(json.dumps(fmt.cloud_json(result, namer)))
        return code
    for line in fmt.cloud_lines(result, namer, indent=args.cloud):
        out.info(line)
    if result.in_sync:
        out.info(fmt.IN_SYNC.format(remote=args.remote or repo.config.default_remote))
    elif any(history.values()) or not result.changed():
        # A path shows one state; its other revisions' objects are counted here.
        counts = ", ".join(f"{n} {s}" for s, n in result.counts().items() if n and s != "ok")
        out.info(f"Objects not in sync with remote {result.remote!r}: {counts}")
    return code


def _tracks_anything(root: str) -> bool:
    """Whether some ``.dvc`` file or ``dvc.yaml`` exists (dvc's "no data or pipelines")."""
    from dvcremote.index import find_dvcfiles, find_pipelines

    return bool(find_dvcfiles(root) or find_pipelines(root))


def _ask(message: str) -> bool:
    """DVC's warning, then its question; only a terminal can answer (EOF is no)."""
    print(f"WARNING: {message}", file=sys.stderr, flush=True)
    if not sys.stdin.isatty():
        return False
    try:
        answer = input("Are you sure you want to proceed? [y/n]: ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_gc(args: argparse.Namespace, out: _Out) -> int:
    from dvcremote.errors import ConfirmationRequired, InvalidArgument

    with _repo(args) as repo:
        try:
            results = repo.gc(
                workspace=args.workspace,
                cloud=args.cloud,
                remote=args.remote,
                force=args.force,
                confirm=_ask,
                jobs=args.jobs,
                dry=args.dry,
                not_in_remote=args.not_in_remote,
                run_cache=args.run_cache,
                **_revisions(args),
            )
        except InvalidArgument as exc:
            out.warn(f"ERROR: {exc}")
            return EXIT_USAGE
        except ConfirmationRequired as exc:
            out.warn(f"ERROR: {exc} (use -f to skip the confirmation)")
            return EXIT_FAILED
    for r in results:
        where = "the cache" if r.where == "cache" else f"remote {r.where!r}"
        if r.dry:
            for oid in sorted(r.removed):
                out.info(f"Would remove {oid} from {where}")
            out.info(f"Would remove {_plural(len(r.removed), 'object')} from {where} (--dry)")
        else:
            out.info(f"Removed {_plural(len(r.removed), 'object')} from {where}")
    return EXIT_OK


def cmd_remote(args: argparse.Namespace, out: _Out) -> int:
    from dvcremote.config import LOCAL, REPO

    repo = _repo(args)
    level = LOCAL if getattr(args, "local", False) else REPO
    action = args.remote_command
    writes = action in ("add", "modify", "remove", "rename")
    if writes or (action == "default" and (args.unset or args.name)):
        with repo.locked():
            return _change_remote(args, out, repo.config, level)
    config = repo.config
    if action == "list":
        default = config.default_remote
        for name in config.remote_names():
            mark = "\t(default)" if name == default else ""
            out.data(f"{name}\t{config.remote(name).url}{mark}")
        return EXIT_OK
    name = config.default_remote
    if name is None:
        out.warn("ERROR: no default remote is set")
        return EXIT_FAILED
    out.data(name)
    return EXIT_OK


def _change_remote(args: argparse.Namespace, out: _Out, config: Any, level: str) -> int:
    """The ``remote`` actions that write the config (run holding the repository lock)."""
    from dvcremote.config import DVCREMOTE, LOCAL, SECRET_KEYS

    action = args.remote_command
    if action == "add":
        config.add_remote(args.name, args.url, default=args.default, force=args.force, level=level)
        if args.default:
            out.info(f"Remote {args.name!r} added and set as the default")
        else:
            out.info(f"Remote {args.name!r} added")
    elif action == "modify":
        written = config.modify_remote(
            args.name, args.option, args.value, unset=args.unset, level=level
        )
        if not args.unset and args.option in SECRET_KEYS and level != LOCAL:
            out.info(f"{args.option} is a secret: written to .dvc/config.local (not .dvc/config)")
        elif written == LOCAL:
            out.info("Written to .dvc/config.local")
        elif written == DVCREMOTE:
            out.info(
                f"{args.option} is a dvcremote-only option: written to .dvc/config.dvcremote"
                " (dvc does not read it; track it in git with .dvc/config)"
            )
    elif action == "remove":
        config.remove_remote(args.name)
        out.info(f"Remote {args.name!r} removed")
    elif action == "rename":
        config.rename_remote(args.name, args.new)
        out.info(f"Remote {args.name!r} renamed to {args.new!r}")
    else:
        config.set_default(None if args.unset else args.name, level=level)
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, out: _Out) -> int:
    """dvcremote, Python, and every installed backend plugin (``version`` is an alias).
    Exit 3 when a registered plugin cannot be loaded."""
    import json
    import platform

    from dvcremote import __version__
    from dvcremote.backend.registry import ENTRY_POINT_GROUP, describe_plugins

    plugins = describe_plugins()
    python = f"{platform.python_version()} ({platform.python_implementation()})"
    if args.json:
        out.data(
            json.dumps(
                {
                    "dvcremote": __version__,
                    "python": python,
                    "executable": sys.executable,
                    "platform": platform.platform(),
                    "entry_point_group": ENTRY_POINT_GROUP,
                    "plugins": [p.to_json() for p in plugins],
                },
                indent=2,
            )
        )
    else:
        out.data(f"dvcremote {__version__}")
        out.data(f"Python {python} at {sys.executable}")
        out.data(f"Platform {platform.platform()}")
        out.data(f"Backends (entry-point group {ENTRY_POINT_GROUP!r}):")
        for p in plugins:
            schemes = ", ".join("plain paths" if s == "local" else f"{s}://" for s in p.schemes)
            out.data(f"  {schemes}: {p.distribution} {p.version}, {p.target}")
            if p.backend is None:
                out.data(f"    ERROR: cannot load it: {p.error}")
                continue
            out.data(f"    capabilities: {', '.join(p.backend.capabilities) or '(none)'}")
            for cap, note in p.backend.notes.items():
                out.data(f"    note on {cap}: {note}")
            for v in p.variants:
                more = [c for c in v.capabilities if c not in p.backend.capabilities]
                less = [c for c in p.backend.capabilities if c not in v.capabilities]
                diff = ", ".join([*(f"+{c}" for c in more), *(f"-{c}" for c in less)])
                out.data(f"    variant {v.target}: {diff or 'same capabilities'}")
                for cap, note in v.notes.items():
                    if p.backend.notes.get(cap) != note:
                        out.data(f"      note on {cap}: {note}")
    return EXIT_FAILED if any(p.error for p in plugins) else EXIT_OK


#: Where ``test-remote`` finds its implementation: an entry point of this group named
#: ``test-remote``, which the dvcremote-testing distribution declares. The core never
#: imports the testing package; it only looks the command up when it is run.
COMMANDS_GROUP = "dvcremote.commands"
_TESTING_MISSING = (
    "test-remote needs the dvcremote-testing package (the suites it runs):"
    " pip install dvcremote-testing"
)


def cmd_test_remote(args: argparse.Namespace, out: _Out) -> int:
    """Run the backend and remote suites against a live URL (git-annex's ``testremote``)."""
    from importlib.metadata import entry_points

    found = entry_points(group=COMMANDS_GROUP, name="test-remote")
    try:
        run = next(iter(found)).load()
    except (StopIteration, ImportError):
        out.warn(f"ERROR: {_TESTING_MISSING}")
        return EXIT_FAILED
    return int(
        run(
            args.url,
            dict(args.options or ()),
            fast=args.fast,
            read_only=args.read_only,
            as_json=args.json,
            quiet=args.quiet,
            verbose=args.verbose,
        )
    )


def _option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


# -------------------------------------------------------------------------------- parser
def _common(quiet_default: Any) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=quiet_default,
        help="print only errors (and no progress bar)",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=quiet_default,
        help="show details, and tracebacks on errors",
    )
    return p


def _jobs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="number of parallel transfers/hashers (default: remote's jobs, or 4x cores)",
    )


def _wait(p: argparse.ArgumentParser) -> None:
    """For writing commands: how long to wait for the repository lock (``.dvc/tmp/lock``)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--wait",
        dest="lock_wait",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="if another dvcremote/dvc command is running here, wait up to SECONDS for it"
        " to finish (default: fail at once)",
    )
    g.add_argument(
        "--wait-for-lock",
        dest="lock_wait",
        action="store_const",
        const=float("inf"),
        help="wait for a running dvcremote/dvc command as long as it takes (dvc's flag)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more seconds")
    return value


def _history(p: argparse.ArgumentParser, verb: str) -> None:
    """``--rev`` / ``-a`` / ``-T`` / ``-A``: also work on what git revisions use."""
    p.add_argument(
        "--rev",
        dest="revs",
        action="append",
        metavar="REV",
        help=f"also {verb} what this git revision uses (repeatable)",
    )
    for short, long, what in (
        ("-a", "--all-branches", "every branch"),
        ("-T", "--all-tags", "every tag"),
        ("-A", "--all-commits", "every commit"),
    ):
        p.add_argument(short, long, action="store_true", help=f"also {verb} what {what} uses")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dvcremote",
        description="Track datasets by content hash and sync them with remote storage"
        " (DVC 3.x compatible).",
        parents=[_common(False)],
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    common = _common(argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, func: Callable[[argparse.Namespace, _Out], int], text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=text, description=text)
        p.set_defaults(func=func)
        return p

    p = command("init", cmd_init, "create .dvc/ here (inside git or not)")
    p.add_argument("--no-scm", action="store_true", help="do not use git even if present")
    p.add_argument("-f", "--force", action="store_true", help="re-initialise an existing repo")

    p = command("add", cmd_add, "track files and directories")
    p.add_argument("targets", nargs="+", metavar="PATH")
    p.add_argument(
        "--commit", action="store_true", help="stage the .dvc files and .gitignore changes in git"
    )
    _jobs(p)
    _wait(p)

    for name, func, text in (
        ("push", cmd_push, "upload tracked data the remote lacks"),
        ("fetch", cmd_fetch, "download tracked data the cache lacks (no checkout)"),
        ("pull", cmd_pull, "fetch, then check out into the workspace"),
    ):
        p = command(name, func, text)
        p.add_argument(
            "targets",
            nargs="*",
            metavar="TARGET",
            help=".dvc files or tracked paths (default: all)",
        )
        p.add_argument(
            "-r", "--remote", metavar="NAME", help="remote to use (default: core.remote)"
        )
        _jobs(p)
        _wait(p)
        _history(p, name)
        p.add_argument(
            "--run-cache",
            action="store_true",
            help="also the run cache (runs/): entries"
            + (" and the objects they name" if name == "push" else "")
            + " (content-addressed remotes)",
        )
        if name == "pull":
            p.add_argument(
                "-f",
                "--force",
                action="store_true",
                help="overwrite local changes not in the cache",
            )

    p = command("status", cmd_status, "workspace changes, or with -c cache vs. remote")
    p.add_argument("targets", nargs="*", metavar="TARGET")
    p.add_argument("-c", "--cloud", action="store_true", help="compare the cache with a remote")
    p.add_argument("-r", "--remote", metavar="NAME", help="remote to compare with (implies -c)")
    p.add_argument("--json", action="store_true", help="print dvc's status JSON")
    p.add_argument(
        "--json-objects",
        action="store_true",
        help="with -c: print the object view as JSON (ok/new/deleted/missing ids, paths)",
    )
    _jobs(p)
    _history(p, "compare (with -c)")

    p = command("checkout", cmd_checkout, "restore tracked paths from the cache")
    p.add_argument("targets", nargs="*", metavar="TARGET")
    p.add_argument(
        "-f", "--force", action="store_true", help="overwrite local changes not in the cache"
    )
    _jobs(p)
    _wait(p)

    p = command("import", cmd_import, "track data of another DVC repository (dvc import)")
    p.add_argument("url", metavar="URL", help="the source's git repository: a path or a URL")
    p.add_argument("path", metavar="PATH", help="the path in the source repository")
    p.add_argument("-o", "--out", metavar="OUT", help="where to put it (default: its name)")
    p.add_argument("--rev", metavar="REV", help="the source's branch, tag or commit")
    _jobs(p)
    _wait(p)

    p = command("import-url", cmd_import_url, "copy and track a local file or directory")
    p.add_argument("url", metavar="PATH", help="a local file or directory outside the workspace")
    p.add_argument("out", nargs="?", metavar="OUT", help="where to put it (default: its name)")
    _jobs(p)
    _wait(p)

    p = command(
        "update", cmd_update, "update imports from their source, worktree outputs from their remote"
    )
    p.add_argument("targets", nargs="*", metavar="TARGET", help=".dvc files or tracked paths")
    p.add_argument("-r", "--remote", metavar="NAME", help="worktree remote (default: recorded)")
    p.add_argument("--rev", metavar="REV", help="repo imports: the source revision to take")
    _jobs(p)
    _wait(p)

    p = command(
        "gc", cmd_gc, "delete cached objects no .dvc file or dvc.lock in scope uses"
    )
    p.add_argument(
        "-w", "--workspace", action="store_true", help="keep what the workspace uses"
    )
    p.add_argument("-c", "--cloud", action="store_true", help="also delete them from a remote")
    p.add_argument("-r", "--remote", metavar="NAME", help="remote for -c (default: core.remote)")
    p.add_argument(
        "--not-in-remote",
        action="store_true",
        help="also remove used objects the remote already has (not with -c)",
    )
    p.add_argument("-f", "--force", action="store_true", help="do not ask for confirmation")
    p.add_argument(
        "--dry", action="store_true", help="only list what would be removed (no prompt)"
    )
    p.add_argument(
        "--run-cache",
        action="store_true",
        help="also keep the objects the run cache's entries name (not in dvc)",
    )
    _jobs(p)
    _wait(p)
    _history(p, "keep")

    p = command("stage", cmd_stage_add, "manage pipeline stages (dvc.yaml)")
    ssub = p.add_subparsers(dest="stage_command", metavar="ACTION", required=True)
    s = ssub.add_parser("add", parents=[common], help="add a stage to dvc.yaml here")
    s.set_defaults(func=cmd_stage_add)
    s.add_argument("-n", "--name", required=True, help="the stage's name")
    for flags, dest, text in (
        (("-d", "--deps"), "deps", "a dependency"),
        (("-p", "--params"), "params", "params keys: [file:]key1,key2"),
        (("-o", "--outs"), "outs", "an output (cached)"),
        (("-O", "--outs-no-cache"), "outs_no_cache", "an output not cached"),
        (("--outs-persist",), "outs_persist", "an output kept between runs"),
        (("--outs-persist-no-cache",), "outs_persist_no_cache", "persist, not cached"),
        (("-m", "--metrics"), "metrics", "a metrics file (cached)"),
        (("-M", "--metrics-no-cache"), "metrics_no_cache", "a metrics file not cached"),
        (("--plots",), "plots", "a plots file or folder (cached)"),
        (("--plots-no-cache",), "plots_no_cache", "plots not cached"),
    ):
        s.add_argument(*flags, dest=dest, action="append", default=[], metavar="PATH",
                       help=f"{text}; repeatable")
    s.add_argument("-w", "--wdir", help="where the command runs (paths are relative to it)")
    s.add_argument("--always-changed", action="store_true", help="run on every repro")
    s.add_argument("--desc", help="a description of the stage")
    s.add_argument("-f", "--force", action="store_true", help="replace a stage of that name")
    s.add_argument("--run", action="store_true", help="run the stage once added")
    s.add_argument("command", nargs=argparse.REMAINDER, help="the command to run")
    _wait(s)

    p = command("repro", cmd_repro, "run the stages whose deps, params, outs or cmd changed")
    p.add_argument("targets", nargs="*", metavar="TARGET",
                   help="stages ([path/dvc.yaml:]name) or dvc.yaml files (default: ./dvc.yaml)")
    p.add_argument("-f", "--force", action="store_true", help="run even unchanged stages")
    p.add_argument("-s", "--single-item", action="store_true",
                   help="only the targets, not what they depend on")
    p.add_argument("--no-run-cache", action="store_true", help="do not restore from the run cache")
    p.add_argument("--pull", action="store_true",
                   help="pull the run cache and missing data from the default remote")
    p.add_argument("--no-commit", action="store_true",
                   help="do not store outputs in the cache (nor save the run cache)")
    p.add_argument("--dry", action="store_true",
                   help="only print what would run; change nothing")
    p.add_argument("-R", "--recursive", action="store_true",
                   help="targets are folders: every stage below them")
    p.add_argument("--glob", action="store_true", help="stage names may be patterns (tr*)")
    p.add_argument("-p", "--pipeline", action="store_true",
                   help="every stage of the pipelines the targets belong to")
    p.add_argument("-P", "--all-pipelines", action="store_true", help="every stage")
    p.add_argument("--downstream", action="store_true",
                   help="the targets and what depends on them (not what they depend on)")
    p.add_argument("--force-downstream", action="store_true",
                   help="also run what depends on a stage that ran")
    p.add_argument("-k", "--keep-going", action="store_const", const="keep-going",
                   dest="on_error", default="fail",
                   help="go on after a failure; skip what depends on the failed stage")
    p.add_argument("--ignore-errors", action="store_const", const="ignore", dest="on_error",
                   help="go on after a failure, skipping nothing")
    p.add_argument("-i", "--interactive", action="store_true",
                   help="ask before each stage runs (no terminal: no)")
    _wait(p)

    p = command("commit", cmd_commit,
                "record the stages' current deps and outputs in dvc.lock and the cache")
    p.add_argument("targets", nargs="*", metavar="TARGET",
                   help="stages, dvc.yaml or .dvc files, or outputs (default: all)")
    p.add_argument("-f", "--force", action="store_true",
                   help="record changed stages without asking")
    p.add_argument("-d", "--with-deps", action="store_true",
                   help="also the stages the targets depend on")
    p.add_argument("-R", "--recursive", action="store_true",
                   help="targets are folders: every stage below them")
    _wait(p)

    for name in ("remove", "rm"):
        p = command(name, cmd_remove, "remove stages from dvc.yaml / stop tracking .dvc files")
        p.add_argument("targets", nargs="+", metavar="TARGET",
                       help="stage names ([path/dvc.yaml:]name), dvc.yaml or .dvc files")
        p.add_argument("--outs", action="store_true", help="delete the outputs as well")
        _wait(p)

    p = command("check-ignore", cmd_check_ignore, "show which paths .dvcignore rules leave out")
    p.add_argument("targets", nargs="*", metavar="PATH")
    p.add_argument("-d", "--details", action="store_true", help="show the deciding rule")
    p.add_argument("-a", "--all", action="store_true", help="with -d: every matching rule")
    p.add_argument(
        "-n", "--non-matching", action="store_true", help="with -d: also paths no rule matches"
    )
    p.add_argument("--stdin", action="store_true", help="read the paths from standard input")

    for name, text in (
        ("doctor", "show versions and the installed backend plugins (schemes, capabilities)"),
        ("version", "the same as doctor"),
    ):
        p = command(name, cmd_doctor, text)
        p.add_argument("--json", action="store_true", help="print it as JSON")

    p = command(
        "test-remote",
        cmd_test_remote,
        "run the conformance and remote suites against a live remote URL"
        " (needs dvcremote-testing)",
    )
    p.add_argument("url", metavar="URL", help="the remote to test; nothing outside it is touched")
    p.add_argument(
        "-o",
        "--option",
        dest="options",
        action="append",
        type=_option,
        metavar="KEY=VALUE",
        help="a remote config key (endpointurl, keyfile, ...); repeatable",
    )
    p.add_argument(
        "--fast", action="store_true", help="a quick subset: no big files, no thread races"
    )
    p.add_argument(
        "--read-only",
        action="store_true",
        help="only list, read, metadata and health checks on what is there; write nothing",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")

    p = command("remote", cmd_remote, "manage remotes")
    rsub = p.add_subparsers(dest="remote_command", metavar="ACTION", required=True)
    r = rsub.add_parser("add", parents=[common], help="add a remote")
    _wait(r)
    r.add_argument("-d", "--default", action="store_true", help="make it the default remote")
    r.add_argument("-f", "--force", action="store_true", help="replace an existing remote")
    r.add_argument("--local", action="store_true", help="write to .dvc/config.local")
    r.add_argument("name")
    r.add_argument("url")
    r = rsub.add_parser("modify", parents=[common], help="set or unset a remote option")
    _wait(r)
    r.add_argument("--local", action="store_true", help="write to .dvc/config.local")
    r.add_argument("-u", "--unset", action="store_true", help="remove the option")
    r.add_argument("name")
    r.add_argument("option")
    r.add_argument("value", nargs="?")
    rsub.add_parser("list", parents=[common], help="list remotes")
    r = rsub.add_parser("remove", parents=[common], help="remove a remote")
    _wait(r)
    r.add_argument("name")
    r = rsub.add_parser("rename", parents=[common], help="rename a remote (and the default)")
    _wait(r)
    r.add_argument("name")
    r.add_argument("new")
    r = rsub.add_parser("default", parents=[common], help="show or set the default remote")
    _wait(r)
    r.add_argument("name", nargs="?")
    r.add_argument("-u", "--unset", action="store_true", help="unset the default remote")
    r.add_argument("--local", action="store_true", help="write to .dvc/config.local")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from dvcremote import __version__

        print(f"dvcremote {__version__}")
        return EXIT_OK
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    if (
        args.command == "remote"
        and args.remote_command == "modify"
        and not args.unset
        and args.value is None
    ):
        parser.error("remote modify: a VALUE is required unless --unset is given")
    out = _Out(args.quiet)
    try:
        return int(args.func(args, out))
    except KeyboardInterrupt:
        out.warn("Interrupted.")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message and exit code
        if args.verbose:
            import traceback

            traceback.print_exc()
        out.warn(f"ERROR: {_describe(exc)}")
        return EXIT_FAILED


def _describe(exc: BaseException) -> str:
    from dvcremote.errors import RepoLocked

    if isinstance(exc, RepoLocked):
        return f"{exc}; to wait for it: --wait SECONDS or --wait-for-lock"
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return str(exc) or type(exc).__name__


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
