"""Tests of the demo world generator."""
