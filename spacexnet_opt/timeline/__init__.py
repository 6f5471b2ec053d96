"""Days in orbit: power and eclipse, failures, drifting loads, and re-placement that moves the fewest bytes."""
