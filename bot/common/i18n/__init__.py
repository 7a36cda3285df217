"""French and English words of Tocsin.

Catalogues live in `messages/<language>/<area>.json`: flat objects mapping a message id ("area.thing.detail")
to a text with `{placeholder}`s. Each area file is owned by one concept; a message id may appear in one area only.
Command-facing strings (`cmd.*`: command, option and choice names and descriptions) are in the French catalogue
only: their English is written once, beside each command's declaration (`bot.interactions.translator.text`), and
is what Discord shows by default. An option's name that a sentence quotes (the severities of /setup cadence) is
in the English catalogue too, worded as declared (tests/i18n/test_catalogue.py holds both to that).
"""

from bot.common.i18n.catalogue import LANGUAGES, Catalogue, Language, Msg, default_catalogue, language_of, list_of

__all__ = ["LANGUAGES", "Catalogue", "Language", "Msg", "default_catalogue", "language_of", "list_of"]
