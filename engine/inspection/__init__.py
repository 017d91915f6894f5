"""Seeing inside a network: recorded activations, weights, projections, attributions."""
