"""French and English words of Tocsin.

Catalogues live in `messages/<language>/<area>.json`: flat objects mapping a message id ("area.thing.detail")
to a text with `{placeholder}`s. Each area file is owned by one concept; a message id may appear in one area only.
"""

from bot.common.i18n.catalogue import LANGUAGES, Catalogue, Language, Msg, default_catalogue, language_of

__all__ = ["LANGUAGES", "Catalogue", "Language", "Msg", "default_catalogue", "language_of"]
