"""What both products share. Nothing in here knows about cars or coins."""
