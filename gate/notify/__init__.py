"""Notifications: Slack (incoming webhook, or a bot token for threads and updates) and PURE Block Kit
builders with Slack's limits and the one mrkdwn escaping function."""
