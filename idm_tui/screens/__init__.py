"""The TUI's screens and modal dialogs, one module each."""
