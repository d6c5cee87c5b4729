"""Chain plumbing: the devnet, deployments and their records, accounts and roles, the token,
EIP-2612 permits, the Merkle tree of resolutions, and the tournament's events and transactions."""
