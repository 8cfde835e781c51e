"""The three models (Senti-iFusion, LNLN, DAR), their shared blocks and the registry."""
