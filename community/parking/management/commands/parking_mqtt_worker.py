"""The devices MQTT worker under its former name (``manage.py devices_mqtt_worker``): it
consumes parking events with those of every other registered device kind."""

from community.devices.management.commands.devices_mqtt_worker import Command as Base


class Command(Base):
    help = "Consume signed device events (parking's among them) from the MQTT broker."
