"""Operations around the Pulumi program: plan diff, cost estimate."""
