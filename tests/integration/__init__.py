"""Sessions, the typed client, the fake and the programs, run for real against the fake over
loopback."""
