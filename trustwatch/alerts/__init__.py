"""Watches and alerts: which incidents a user follows, the outbox, and delivery per channel.

`outbox` writes alerts in the transaction that rebuilds the incidents; `deliver` sends them by
webhook, mail and Atom feed afterwards, retrying until each channel has taken each alert once.
"""
