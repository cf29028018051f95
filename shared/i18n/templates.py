"""Jinja2 environments with the i18n extension, one per language of a domain's catalogues.

One environment per language, each with its translations installed, rather than one shared
environment that switches language per render: imported macros (the error summary, say) see
only the environment's globals, so the words must belong to the environment itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined, Template
from jinja2.bccache import Bucket

from shared.i18n.catalogues import Catalogues
from shared.i18n.translator import Translator, language_name
from shared.vocabulary import Language


class _CompiledOnce(BytecodeCache):
    """Each template's compiled code, kept in memory for every environment that loads it.

    The environments of a folder differ only in their globals (the words of their language),
    which a template reads when it renders, not when it is compiled: compiling a template once
    for all of them, rather than once per language (and, in the tests, once per app built),
    is what Jinja's bytecode caches are for. A template whose source changed is compiled
    again (the bucket's checksum of the source).
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


# By what decides how a template compiles besides its source: its folder, the options below
# and the names of the filters (a call to one is compiled in). One folder has one escaping
# policy: its one caller (page_templates, the mail templates) escapes its templates by their
# names alike wherever it loads them.
_COMPILED: dict[tuple[str, str, bool, tuple[str, ...]], _CompiledOnce] = {}


def _compiled_once(
    directory: Path,
    autoescape: bool | Callable[[str | None], bool],
    keep_trailing_newline: bool,
    filters: Mapping[str, Callable[..., Any]],
) -> _CompiledOnce:
    escaping = str(autoescape) if isinstance(autoescape, bool) else "by name"
    key = (str(directory.resolve()), escaping, keep_trailing_newline, tuple(sorted(filters)))
    return _COMPILED.setdefault(key, _CompiledOnce())


class LocalisedTemplates:
    """A template folder rendered in each language its catalogues hold."""

    def __init__(
        self,
        directory: Path,
        catalogues: Catalogues,
        *,
        autoescape: bool | Callable[[str | None], bool],
        keep_trailing_newline: bool = False,
        globals: Mapping[str, Any] | None = None,
        filters: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.catalogues = catalogues
        loader = FileSystemLoader(directory)
        compiled = _compiled_once(directory, autoescape, keep_trailing_newline, filters or {})
        self._environments: dict[Language, Environment] = {}
        for language in catalogues.languages:
            env = Environment(
                loader=loader,
                autoescape=autoescape,  # noqa: S701 - the caller's choice: HTML on, text off
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=keep_trailing_newline,
                extensions=["jinja2.ext.i18n"],
                bytecode_cache=compiled,
            )
            # Line breaks and indentation inside {% trans %} are layout, not part of the message.
            env.policies["ext.i18n.trimmed"] = True
            translator = catalogues[language]
            env.install_gettext_translations(translator.translations, newstyle=True)  # type: ignore[attr-defined]
            env.globals.update(globals or {}, i18n=translator, language_name=language_name)
            env.filters.update(filters or {})
            self._environments[language] = env

    @property
    def languages(self) -> tuple[Language, ...]:
        """Return the languages the templates can be rendered in."""
        return tuple(self._environments)

    def environment(self, language: Language) -> Environment:
        """Return the environment that renders in ``language``."""
        return self._environments[language]

    def translator(self, language: Language) -> Translator:
        """Return the words and formats of ``language``."""
        return self.catalogues[language]

    def get_template(self, language: Language, name: str) -> Template:
        """Return a template as rendered in ``language``."""
        return self._environments[language].get_template(name)

    def render(self, language: Language, name: str, context: Mapping[str, Any]) -> str:
        """Render a template in ``language``."""
        return self.get_template(language, name).render(context)
