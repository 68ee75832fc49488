"""Notifications: the Slack client (incoming webhook or bot token, threads), Block Kit within Slack's
limits, the one mrkdwn escaping function, and a generic JSON webhook, behind one `Notifier` seam.

Nothing here measures or decides: callers hand in rendered messages and payloads. Every HTTP request
goes through gate.http (deadline, retries, Retry-After, masking); webhook URLs and tokens are secrets.
"""
