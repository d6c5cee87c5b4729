"""The operator's side of a round: manifest and artefacts, reveal intake, results, posting,
settlement, public verification, status and the keeper loop."""
