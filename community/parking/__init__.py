"""Smart parking (standard section 4.2.3): lots, spaces, devices, passage events, live
occupancy, guidance and reverse car finding."""
