"""Content-derived image tags: a hash of exactly the files a Dockerfile takes from the build context.

The files are found by reading the Dockerfile itself (COPY/ADD sources and `RUN --mount=type=bind`
sources, not those taken `--from` another stage or image) and filtering them with the
.dockerignore rules Docker applies, so a change to one service's sources changes that image's
tag only. Paths are hashed relative to the context with their content and executable bit:
no absolute path, timestamp or owner enters a tag, so every machine computes the same one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

TAG_LENGTH = 16
_GLOB_CHARS = re.compile(r"[*?\[]")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_ALWAYS_SKIPPED_DIRS = frozenset({".git"})


@dataclass(frozen=True)
class DockerfileInputs:
    """What a Dockerfile reads from its build context."""

    sources: tuple[str, ...]  # context-relative patterns, e.g. "app/src" or "frontend/*.json"
    remote: tuple[str, ...]  # ADD sources that are URLs: their text is hashed, not fetched


def logical_lines(text: str) -> Iterator[str]:
    """Dockerfile instructions with line continuations joined and comments dropped."""
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        yield current
        current = ""
    if current:
        yield current


def _substitute(word: str, variables: Mapping[str, str]) -> str:
    """Expand $VAR/${VAR}; an unknown variable becomes '*' so the hash covers everything it could name."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return variables.get(name, "*")

    return _VARIABLE.sub(expand, word)


def _split_args(rest: str) -> list[str]:
    rest = rest.strip()
    if rest.startswith("["):
        try:
            parsed = json.loads(rest)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return list(parsed)
    try:
        return shlex.split(rest, posix=True)
    except ValueError:  # unbalanced quotes: fall back to whitespace, still deterministic
        return rest.split()


def parse_dockerfile(text: str) -> DockerfileInputs:
    """Find the build-context paths a Dockerfile reads."""
    variables: dict[str, str] = {}
    sources: list[str] = []
    remote: list[str] = []
    for line in logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword in ("ARG", "ENV"):
            for item in _split_args(rest):
                name, eq, value = item.partition("=")
                if eq:
                    variables[name] = value
        elif keyword in ("COPY", "ADD"):
            if "<<" in rest:
                continue  # a heredoc's content is part of the Dockerfile text, which is hashed anyway
            words = [_substitute(word, variables) for word in _split_args(rest)]
            flags = [word for word in words if word.startswith("--")]
            paths = [word for word in words if not word.startswith("--")]
            if any(flag.startswith("--from=") for flag in flags) or len(paths) < 2:
                continue
            for source in paths[:-1]:
                if re.match(r"^[a-z]+://|^git@", source):
                    remote.append(source)
                else:
                    sources.append(source)
        elif keyword == "RUN":
            for word in rest.split():
                if not word.startswith("--"):
                    break  # flags come first; the shell command after them is not ours to parse
                if not word.startswith("--mount="):
                    continue
                options = dict(part.partition("=")[::2] for part in word[len("--mount=") :].split(","))
                if options.get("type", "bind") == "bind" and "from" not in options:
                    sources.append(_substitute(options.get("source", options.get("src", ".")), variables))
    return DockerfileInputs(sources=tuple(sources), remote=tuple(remote))


def _clean(pattern: str) -> str:
    cleaned = os.path.normpath(pattern.strip().lstrip("/")).replace(os.sep, "/")
    return "" if cleaned == "." else cleaned


def _glob_regex(pattern: str) -> str:
    """Translate a Docker path pattern (*, ?, [..], **) into a regex over '/'-separated paths."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class _IgnoreRule:
    pattern: str
    regex: re.Pattern[str]
    depth: int
    exclusion: bool

    def matches(self, path: str) -> bool:
        """Docker's rule: the path itself, or its leading directories at the pattern's depth."""
        if self.regex.match(path):
            return True
        parts = path.split("/")
        return len(parts) > self.depth and bool(self.regex.match("/".join(parts[: self.depth])))

    def may_match_below(self, directory: str) -> bool:
        """Whether this rule could match a path inside `directory` without matching the directory itself."""
        if self.matches(directory):
            return False
        glob = _GLOB_CHARS.search(self.pattern)
        literal = self.pattern[: glob.start()] if glob else self.pattern
        inside = directory + "/"
        return literal.startswith(inside) or (glob is not None and inside.startswith(literal))


class DockerIgnore:
    """The .dockerignore rules with Docker's semantics: a rule also matches all under a matched directory."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._rules: list[_IgnoreRule] = []
        for line in lines:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            exclusion = text.startswith("!")
            pattern = _clean(text[1:] if exclusion else text)
            if not pattern:
                continue
            regex = re.compile(f"^{_glob_regex(pattern)}$")
            self._rules.append(_IgnoreRule(pattern, regex, pattern.count("/") + 1, exclusion))

    @classmethod
    def for_dockerfile(cls, context: Path, dockerfile: str) -> DockerIgnore:
        """BuildKit reads <Dockerfile>.dockerignore first, else the context's .dockerignore."""
        for candidate in (context / f"{dockerfile}.dockerignore", context / ".dockerignore"):
            if candidate.is_file():
                return cls(candidate.read_text().splitlines())
        return cls([])

    def can_prune(self, directory: str) -> bool:
        """A directory may be skipped whole when ignored and no '!' rule could bring a file inside it back."""
        return self.ignores(directory) and not any(
            rule.exclusion and rule.may_match_below(directory) for rule in self._rules
        )

    def ignores(self, path: str) -> bool:
        ignored = False
        for rule in self._rules:
            if rule.exclusion != ignored:
                continue
            if rule.matches(path):
                ignored = not rule.exclusion
        return ignored


def _walk(context: Path, start: str, ignore: DockerIgnore) -> Iterator[str]:
    """Context-relative paths of the files under `start` (a file or directory) that Docker would send."""
    base = context / start if start else context
    if base.is_file():
        if not ignore.ignores(start):
            yield start
        return
    if not base.is_dir():
        return
    for root, dirs, files in os.walk(base):
        rel_root = PurePosixPath(Path(root).relative_to(context).as_posix())
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _ALWAYS_SKIPPED_DIRS and not ignore.can_prune((rel_root / d).as_posix())
        )
        for name in sorted(files):
            rel = (rel_root / name).as_posix()
            rel = rel[2:] if rel.startswith("./") else rel
            if not ignore.ignores(rel):
                yield rel


def context_files(context: Path, dockerfile: str) -> list[str]:
    """Sorted context-relative paths of every file the Dockerfile takes from the context."""
    inputs = parse_dockerfile((context / dockerfile).read_text())
    ignore = DockerIgnore.for_dockerfile(context, dockerfile)
    found: set[str] = set()
    for source in inputs.sources:
        pattern = _clean(source)
        if not _GLOB_CHARS.search(pattern):
            found.update(_walk(context, pattern, ignore))
            continue
        static = []
        for part in pattern.split("/"):
            if _GLOB_CHARS.search(part):
                break
            static.append(part)
        regex = re.compile(f"^{_glob_regex(pattern)}(/.*)?$")
        found.update(path for path in _walk(context, "/".join(static), ignore) if regex.match(path))
    return sorted(found)


def content_tag(context: Path, dockerfile: str, *, platform: str, build_args: Mapping[str, str]) -> str:
    """A short hex tag that changes exactly when what goes into the image changes."""
    digest = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    feed("dockerfile", (context / dockerfile).read_bytes())
    feed("platform", platform.encode())
    feed("build-args", json.dumps(dict(sorted(build_args.items()))).encode())
    for url in parse_dockerfile((context / dockerfile).read_text()).remote:
        feed("remote", url.encode())
    for rel in context_files(context, dockerfile):
        path = context / rel
        executable = "x" if path.stat().st_mode & 0o111 else "-"
        feed(f"file:{rel}:{executable}", path.read_bytes())
    return digest.hexdigest()[:TAG_LENGTH]
