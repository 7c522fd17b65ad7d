"""What detect-secrets lacks of the secrets check it replaced: two detectors and one filter.

detect-secrets (pre-commit's `secrets` hook and `make lint`; its settings are in
`.secrets.baseline`) finds private keys, some twenty token formats (GitHub, AWS, Slack,
Stripe, ...), passwords in URLs and values given to keys named like a password or a secret.
Its settings allow what the replaced check allowed: placeholders (`password`, `****`,
`${VAR}`, ...), URLs to local and reserved example hosts (RFC 2606), and lines marked
`secrets: allow` (as well as its own `pragma: allowlist secret`).

Compared with our check, it lacked three things, kept here, loaded by detect-secrets from
this file (the baseline names it):

- Google API keys (`AIza...`), which none of its detectors knows;
- a value given to a key named like a token (`api_token = "..."`), which its keyword
  detector leaves out;
- keyword findings only in settings files (TOML, INI, YAML, .env, ...): in code and prose a
  `password = ...` is a variable or a documented example, left to review and ruff's S105,
  as the replaced check did.
"""

from __future__ import annotations

import re
from pathlib import Path

from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector

_SETTINGS_SUFFIXES = {".toml", ".ini", ".cfg", ".conf", ".env", ".properties", ".yml", ".yaml"}
# the findings of detect-secrets' keyword detector and of TokenKeywordDetector
_KEYWORD_TYPES = {"Secret Keyword", "Token Keyword"}


class GoogleApiKeyDetector(RegexBasedDetector):
    """A Google API key."""

    secret_type = "Google API Key"  # noqa: S105 - a finding's name
    denylist = (re.compile(r"\b(AIza[0-9A-Za-z_\-]{35})\b"),)


class TokenKeywordDetector(RegexBasedDetector):
    """A value of 8 characters or more given to a key named like a token."""

    secret_type = "Token Keyword"  # noqa: S105 - a finding's name
    denylist = (
        re.compile(
            r"""^\s*(?:export\s+)?["']?[A-Za-z0-9_.\-]*token["']?\s*[:=]\s*["']?([^\s"'#]{8,})""",
            re.IGNORECASE,
        ),
    )


def is_settings_file(filename: str) -> bool:
    path = Path(filename)
    return path.suffix in _SETTINGS_SUFFIXES or path.name.startswith(".env")


def keyword_outside_settings_files(secret: str, filename: str, plugin: BasePlugin) -> bool:
    """True (skip it) for a keyword finding in anything but a settings file. detect-secrets
    calls a filter with the arguments it names; `secret` makes it run once per finding."""
    return plugin.secret_type in _KEYWORD_TYPES and not is_settings_file(filename)
