"""Best practices shared by employers: experience reports, anonymisation, review, publication."""
