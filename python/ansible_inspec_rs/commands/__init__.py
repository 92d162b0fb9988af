"""Subcommands of the ansible-inspec-rs CLI: each module has add_arguments(parser) and run(args) -> int."""
