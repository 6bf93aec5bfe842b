"""The TUI's own widgets: the job table, the status line, the segment map."""
