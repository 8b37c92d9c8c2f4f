"""Crisis management (3.): intake, incidents, escalation, playbooks, spikes."""
