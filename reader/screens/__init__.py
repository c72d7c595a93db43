"""The app's screens: the main switchboard screen and the help screen."""
