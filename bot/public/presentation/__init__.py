"""What the public feature shows: the pages as HTML (`pages`), the Atom feeds (`feeds`) and the JSON API's documents
with their shipped schema (`api`). Each takes only what `bot.public.rules` let through."""

from bot.public.presentation.pages import PublicPresenter, public_page_reply, visibility_reply

__all__ = ["PublicPresenter", "public_page_reply", "visibility_reply"]
