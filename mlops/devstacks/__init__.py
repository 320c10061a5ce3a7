"""On-demand personal dev stacks: their lifecycle and the Automation API seam."""
