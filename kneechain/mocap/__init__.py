"""Motion-capture readers and virtual-camera projection: ground truth for validating kneechain."""
