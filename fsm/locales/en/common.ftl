# Texts shared by all bots. Texts are Telegram HTML.

unsupported = Here I understand only text and buttons. Pick an action from the menu or press /cancel.
back-to-menu = Main menu.
state-reset = The bot was updated and your unfinished dialogue had to be reset. Please start again.
slow-down = Too many messages in a row. Please wait a moment.
try-again-later = That did not work. Please try again in a minute.
apology = Something went wrong on our side. Please try again later.
stale-button = This button is no longer active.
not-yet = This section is coming soon.
# Asked in both languages at once: the user may not read the current one.
choose-language = Выберите язык · Choose the language
language-set = Language: English.
unknown-command = There is no such command. Pick an action from the menu or press /cancel.
use-the-buttons = Press a button under the message, or /cancel.
button-outdated = This button is outdated: the bot was updated. Please start again from the menu.
btn-confirm = ✅ Confirm
btn-cancel = ✖️ Cancel
btn-russian = Русский
btn-english = English
