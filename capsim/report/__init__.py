"""Plots and tables for people: every plot function takes results and an optional ``ax``."""
