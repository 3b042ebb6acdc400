"""What-if drills on an evaluated plan: shock, gap waterfall, partial liquidation, paths, Monte Carlo, actions."""
