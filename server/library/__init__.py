"""The network's resource library: guides, tool sheets, news, replays and the history of peer
support, with checked attachments and French full-text search (issue #5)."""
