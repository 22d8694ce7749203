"""The PostgreSQL store: job records and claims shared by any number of hosts."""
