# The admin bot. Texts are Telegram HTML.

admin-only = This bot is for network administrators only.
admin-menu = Admin menu.
admin-help =
    This is the administrators' bot of the loyalty network: watch over the network and manage it here.

    /stats — network statistics
    /dashboard — a link to the monitoring dashboard
    /language — change the language
    /cancel — cancel the current action and go back to the menu

# Command descriptions for Telegram's "/" menu (setMyCommands), at most 256 characters each.
admin-cmd-stats = Network statistics
admin-cmd-dashboard = Monitoring dashboard
admin-cmd-language = Change the language
admin-cmd-cancel = Cancel the action and go back to the menu
admin-cmd-help = What this bot can do
