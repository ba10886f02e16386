"""The pytest kit: cassettes, scrubbing, the secret check, fakes and the contract class."""
