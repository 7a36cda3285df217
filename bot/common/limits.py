"""Discord's limits, and the limits Tocsin sets on what people type so that every message stays within them.

Discord counts lengths in characters (code points); so does everything here. Rendering truncates again after
escaping (escaping can lengthen a text), so the input limits below are what people are told, and the Discord
limits are what no payload ever exceeds.
"""

from __future__ import annotations

from enum import Enum

# --- Discord ----------------------------------------------------------------------------------------------
MESSAGE_CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
THREAD_NAME = 100
MODAL_TITLE = 45
FIELD_LABEL = 45
BUTTON_LABEL = 80
CUSTOM_ID = 100
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100


class TextField(Enum):
    """A field people type into, with the most characters it may hold once cleaned.

    Chosen so that the longest fields still fit where they are shown: the title goes into "#42 · title"
    thread names (100) and embed titles (256); the workaround into one embed field (1,024) or a short
    announcement; a note into one thread post (2,000 with its header and mention); the organisation and
    impact into one embed field each beside the rest of the status message (6,000 in total).
    """

    TITLE = ("title", 100)
    ORGANISATION = ("organisation", 150)
    DESCRIPTION = ("description", 1000)
    IMPACT = ("impact", 300)
    WORKAROUND = ("workaround", 1000)
    NOTE = ("note", 1500)
    RESOLUTION_NOTE = ("resolution_note", 1000)
    SERVICE_NAME = ("service_name", 60)
    SECTOR = ("sector", 50)
    REPORT_DETAILS = ("report_details", 500)

    def __init__(self, key: str, limit: int) -> None:
        self.key = key
        self.limit = limit

    @property
    def multiline(self) -> bool:
        return self in _MULTILINE


_MULTILINE = frozenset(
    {
        TextField.DESCRIPTION,
        TextField.IMPACT,
        TextField.WORKAROUND,
        TextField.NOTE,
        TextField.RESOLUTION_NOTE,
        TextField.REPORT_DETAILS,
    }
)

# How many of each list one incident may carry: 20 services keep the status message's service list within one
# embed description with room to spare; 30 territories cover any region list people type ("France entière"
# is one territory).
MAX_SERVICES = 20
MAX_TERRITORIES = 30
# A service-change or service-name list as typed in one option.
MAX_SERVICE_LIST_CHARS = 1000
