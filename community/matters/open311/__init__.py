"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at ``/open311/v2/`` over the
matters services: the public event classes are the services, requests are submitted with
an ``api_key`` issued per client application and read back without one. The reporter's
contact is never answered; a request is named by a public id derived from its tracking code
(the tracking code itself is the reporter's key: it is answered once, as the POST's
``token``)."""
