"""The app's panes: each a widget with its own bindings, messages and intrinsic CSS."""
