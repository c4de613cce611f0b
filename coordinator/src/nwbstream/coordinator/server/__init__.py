"""The conversion service: a long-running coordinator that takes jobs from many labs (`serve coordinator`)."""
