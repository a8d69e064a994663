"""The Pulumi program's building blocks: typed settings and one ComponentResource per module."""
