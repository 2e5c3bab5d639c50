-- A profile's proposals consider only the listings in a box around the person as wide as their travel
-- radius (core/geo.py box; listings without a place are always considered), so that a proposal reads a
-- town's listings, not a nation's.
create index resource_lat_lon_idx on resource (lat, lon);
