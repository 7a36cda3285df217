"""What an outbox row asks the worker to do on Discord: its kind, and what its payload holds.

A kind is stored as its value (a plain string in `outbox.kind`). A row of a kind this version does not know (one
written by a newer version) is kept, and reported failed by the transport.

  send_message   channel_id, content?, embeds?, components?, allowed_mentions (required), silent?, posted_again?
                 (its feature posts it again, up to date, at its next change: never kept owed)
  edit_message   channel_id, message_id, content?, embeds?, components?, allowed_mentions?, pace_s? (at most one
                 edit of that message per pace_s seconds; the worker waits, newer edits collapse meanwhile)
  delete_message channel_id, message_id
  create_thread  channel_id, message_id, name, auto_archive_duration?            (thread from a message)
                 channel_id, name, auto_archive_duration?, type?, invitable?     (thread without a message)
                 channel_id, name, message{content?, embeds?, components?, allowed_mentions (required)},
                 applied_tags?, auto_archive_duration?                           (forum post)
  edit_thread    thread_id, name?, archived?, locked?, applied_tags?, auto_archive_duration?
  add_role / remove_role   guild_id, user_id, role_id; remove_role also `forgotten`? (a forgotten member's follow
                 role taken back: the pseudonym's words, shown for them in a failure told to admins; their id leaves
                 the row when its outcome is recorded: bot/delivery/store.py `erase_forgotten_member`)
  create_role    guild_id, name, mentionable?, color?, hoist?
  delete_role    guild_id, role_id
  send_dm        user_id, content?, embeds?, components?, allowed_mentions (required), silent?
  edit_interaction_reply   application_id, token, content (a string, or a list of strings and `$ref`s joined
                 once resolved)                                                  (the private reply of a command)
  show_board     board_id, channel_id, content?, embeds?, components?, allowed_mentions (required), silent?
                 (a board: its message edited, or posted (and pinned when the bot may) when it has none, was
                 deleted (10008) or may not be edited any more (30046: the old message is then deleted));
                 board_id, channel_id, remove: true, allowed_mentions             (a board removed: its message deleted)
  send_webhook   webhook_id, incident_id, event, key, body (the JSON text sent, the same at every attempt): an HTTP
                 POST to a server's webhook, never to Discord (bot/delivery/webhook_transport.py), on a lane of its
                 own per webhook and incident (`outbox.webhook_lane`), paced apart from Discord's budget
Any payload may hold `on_failure`: rows (lane, kind, payload, coalesce_key?) enqueued should it fail permanently
(a member's reply edited to say Discord refused them a role: outbox.add_on_failure).
A string value may be {"$concat": [parts]}: the parts joined once their `$ref`s are resolved. A `$ref` with a
"default" stands for that default when the referenced row failed (a thread post still goes out, without the
follow role's mention, when the role could not be created).
Results: sends {"message_id", "channel_id"}; create_thread {"thread_id", "channel_id"} (+ "message_id" for a
forum post); edit_thread {"thread_id"}; create_role {"role_id"}; edit_interaction_reply {"message_id"}; show_board
{"message_id", "channel_id"} (+ "posted", "pinned" when posted anew, and "replaced": the message refused, deleted
by a row of its own), or {"removed"}; others {}.

`edit_interaction_reply` completes a private reply already sent (the link to a thread that did not exist yet).
Interaction tokens live 15 minutes: an edit delivered later is refused by Discord (404 Unknown Webhook) and
recorded failed like any permanent failure; nothing else depends on it.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxKind(StrEnum):
    SEND_MESSAGE = "send_message"
    EDIT_MESSAGE = "edit_message"
    DELETE_MESSAGE = "delete_message"
    CREATE_THREAD = "create_thread"
    EDIT_THREAD = "edit_thread"
    ADD_ROLE = "add_role"
    REMOVE_ROLE = "remove_role"
    CREATE_ROLE = "create_role"
    DELETE_ROLE = "delete_role"
    SEND_DM = "send_dm"
    EDIT_INTERACTION_REPLY = "edit_interaction_reply"
    SHOW_BOARD = "show_board"
    SEND_WEBHOOK = "send_webhook"


# In a `remove_role` payload: the row takes a role back from a member who was forgotten (bot/privacy).
FORGOTTEN = "forgotten"

# The kinds that post a new message, and so may ping: each names exactly whom in its `allowed_mentions`.
SEND_KINDS = frozenset({OutboxKind.SEND_MESSAGE, OutboxKind.SEND_DM, OutboxKind.SHOW_BOARD})
