"""Signal conditioning of landmark tracks: swap repair, outlier rejection, gap filling, low-pass filtering."""
