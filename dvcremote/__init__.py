"""dvcremote: versioned data remotes in the style of DVC."""

__version__ = "0.1.0"
