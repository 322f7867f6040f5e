"""Tactful's scheduler: the queue, its storage, the dispatcher, the daemon and the CLI."""
