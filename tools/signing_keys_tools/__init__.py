"""Command-line tools around the API (operators' admin, token minting): never shipped in the Lambda layer."""
