"""Map pages: the common map (folium-built Leaflet maps, basemaps, layer switcher, legend,
locate-me) and the resident finder. Nothing imports this app."""
