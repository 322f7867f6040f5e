"""Crisis feeds: public alert feeds read, mapped to regions and crises, and raised as
suggestions (see docs and scheduler.feeds.poller)."""
