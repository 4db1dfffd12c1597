"""Real brokers on loopback for the stream tests and bench/streams: each started
on free ports by its constructor and stopped by its process id in `stop()`.
Redis and NATS are Debian's servers; Kafka is a one-node KRaft broker from the
Maven jars scripts/setup.sh fetches into tools/kafka-broker/jars."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A real redis-server on a free loopback port, no persistence; stopped by its pid."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while self.cli("PING") != "PONG":
            if time.monotonic() > deadline:
                raise AssertionError("redis-server did not start")
            time.sleep(0.05)

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port), *map(str, args)], capture_output=True, text=True)
        return r.stdout.strip()

    def add(self, stream, body, **fields):
        words = ["XADD", stream, "*", "body", body]
        for k, v in fields.items():
            words += [k.replace("_", "-"), v]
        return self.cli(*words)

    def pending(self, stream, group):
        return int(self.cli("XPENDING", stream, group).splitlines()[0] or 0)

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)


def self_signed_certificate(directory):
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key, made by openssl in `directory`."""
    cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class Nats:
    """A real nats-server on a free loopback port; a client speaking NATS's text protocol."""

    def __init__(self, port=None, tls=False):
        self.port = port or free_port()
        command = ["nats-server", "-a", "127.0.0.1", "-p", str(self.port)]
        self.ca_file = None
        if tls:  # TLS required of every client, with a self-signed certificate (`ca_file`)
            self.dir = Path(tempfile.mkdtemp(prefix="nimbus-nats-"))
            self.ca_file, key = self_signed_certificate(self.dir)
            command += ["--tls", "--tlscert", str(self.ca_file), "--tlskey", str(key)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buffer = b""
        self.line()  # INFO
        if tls:
            import ssl
            context = ssl.create_default_context(cafile=str(self.ca_file))
            self.sock = context.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.sock.sendall(b'CONNECT {"verbose":false,"headers":true}\r\nPING\r\n')
        assert self.line() == b"PONG"

    def line(self):
        while b"\r\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def publish(self, subject, body, headers=None, reply=""):
        body = body.encode() if isinstance(body, str) else body
        if headers:
            head = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
            self.sock.sendall(f"HPUB {subject} {reply} {len(head)} {len(head) + len(body)}\r\n".encode()
                              + head.encode() + body + b"\r\n")
        else:
            self.sock.sendall(f"PUB {subject} {reply} {len(body)}\r\n".encode() + body + b"\r\n")

    def flush(self):
        self.sock.sendall(b"PING\r\n")
        while self.line() != b"PONG":
            pass

    def request(self, subject, body, timeout=20):
        """Publishes with a reply subject and returns the reply's body."""
        self.sock.sendall(b"SUB _INBOX.test 1\r\n")
        self.publish(subject, body, reply="_INBOX.test")
        self.sock.settimeout(timeout)
        while True:
            line = self.line()
            if line.startswith(b"MSG "):
                size = int(line.split()[-1])
                while len(self.buffer) < size + 2:
                    self.buffer += self.sock.recv(65536)
                data, self.buffer = self.buffer[:size], self.buffer[size + 2:]
                return data

    def subscribe(self, subject, sid=2):
        self.sock.sendall(f"SUB {subject} {sid}\r\n".encode())
        self.flush()

    def next_message(self, timeout=20):
        """The next message of a subscription: (subject, headers as a dict, body)."""
        self.sock.settimeout(timeout)
        while True:
            line = self.line()
            if line.startswith(b"MSG ") or line.startswith(b"HMSG "):
                words = line.split()
                total = int(words[-1])
                head = int(words[-2]) if words[0] == b"HMSG" else 0
                while len(self.buffer) < total + 2:
                    self.buffer += self.sock.recv(65536)
                data, self.buffer = self.buffer[:total], self.buffer[total + 2:]
                headers = {}
                for header in data[:head].decode().split("\r\n")[1:]:
                    if header:
                        name, value = header.split(":", 1)
                        headers[name] = value.strip()
                return words[1].decode(), headers, data[head:]
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")

    def stop(self):
        self.sock.close()
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        if self.ca_file is not None:
            shutil.rmtree(self.dir, ignore_errors=True)




KAFKA_JARS = Path(__file__).resolve().parents[2] / "tools" / "kafka-broker" / "jars"


class Kafka:
    """A real Kafka broker (KRaft, one node acting as broker and controller) on
    free loopback ports, in a fresh directory; `partitions` is the partition
    count of the topics it creates on first use. Producing, creating topics and
    reading a group's committed offsets go through confluent-kafka."""

    # The one account of its SASL/PLAIN listener (`sasl_port`).
    SASL_USER = "alice"
    SASL_PASSWORD = "alice-kafka-secret"

    def __init__(self, partitions=2):
        if not KAFKA_JARS.is_dir():
            raise AssertionError(f"no Kafka jars in {KAFKA_JARS}: run scripts/setup.sh")
        for attempt in range(3):  # a free port from bind(0) can be taken before the broker binds it
            self.dir = Path(tempfile.mkdtemp(prefix="nimbus-kafka-"))
            self.port, controller, self.sasl_port, self.tls_port = free_port(), free_port(), free_port(), free_port()
            self._configure(controller, partitions)
            self._start()
            if self._wait_ready():
                return
            self.stop()
        raise AssertionError("the Kafka broker did not start: " + self.log_tail())

    def _certificate(self):
        """The TLS listener's certificate and key, each as one properties value."""
        self.ca_file, key = self_signed_certificate(self.dir)
        one_line = lambda path: path.read_text().strip().replace("\n", "\\n")
        return one_line(self.ca_file), one_line(key)

    def _configure(self, controller, partitions):
        cert, key = self._certificate()
        (self.dir / "server.properties").write_text(f"""\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{self.port},SASL_PLAINTEXT://127.0.0.1:{self.sasl_port},SSL://127.0.0.1:{self.tls_port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{self.port},SASL_PLAINTEXT://127.0.0.1:{self.sasl_port},SSL://127.0.0.1:{self.tls_port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.certificate.chain={cert}
listener.name.ssl.ssl.keystore.key={key}
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_{self.SASL_USER}="{self.SASL_PASSWORD}";
log.dirs={self.dir}/data
num.partitions={partitions}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=1
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.enable=false
""")
        (self.dir / "log4j2.properties").write_text("""\
appender.file.type=File
appender.file.name=file
appender.file.fileName=${sys:kafka.logs.dir}/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
""")

    def _java(self):
        return ["java", f"-Dlog4j2.configurationFile={self.dir}/log4j2.properties",
                f"-Dkafka.logs.dir={self.dir}/logs", "-cp", str(KAFKA_JARS / "*")]

    def _start(self):
        subprocess.run([*self._java(), "-Xmx256m", "kafka.tools.StorageTool", "format", "-c",
                        str(self.dir / "server.properties"), "-t", "nimbusTestCluster0000A"],
                       check=True, capture_output=True, timeout=120)
        with open(self.dir / "stdout.log", "wb") as out:
            self.proc = subprocess.Popen(
                [*self._java(), "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                 "-XX:CICompilerCount=1", "kafka.Kafka", str(self.dir / "server.properties")],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def _wait_ready(self, timeout=60):
        from confluent_kafka.admin import AdminClient
        admin = AdminClient(self.client_config())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if admin.list_topics(timeout=1).brokers:
                    return True
            except Exception:  # not answering yet
                time.sleep(0.2)
        return False

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def client_config(self, **more):
        return {"bootstrap.servers": self.bootstrap, "log_level": 0, **more}  # no connect-failure lines

    def log_tail(self):
        try:
            return (self.dir / "logs" / "server.log").read_text()[-3000:]
        except OSError:
            return "(no log)"

    def create_topic(self, name, partitions):
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient(self.client_config())  # kept until the answer: its handle carries it
        admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[name].result(30)

    def produce(self, topic, messages):
        """`messages`: (value, key, partition, headers) tuples, or plain values; waits for the broker's acks."""
        from confluent_kafka import Producer
        producer = Producer(self.client_config(**{"linger.ms": 5}))
        for m in messages:
            value, key, partition, headers = m if isinstance(m, tuple) else (m, None, None, None)
            args = {"value": value, "key": key, "headers": headers}
            if partition is not None:
                args["partition"] = partition
            producer.produce(topic, **args)
            producer.poll(0)
        if producer.flush(30) != 0:
            raise AssertionError("messages not acknowledged by the broker")

    def committed(self, group, topic, partitions):
        """The group's committed offset of each partition of `topic` (-1001: none)."""
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer(self.client_config(**{"group.id": group}))
        try:
            return [tp.offset for tp in c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)]
        finally:
            c.close()

    def halt(self):
        """Stops the broker (SIGTERM, SIGKILL after 15 s), keeping its data for `resume`."""
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def resume(self):
        """Starts the halted broker again on the same ports and data."""
        with open(self.dir / "stdout.log", "ab") as out:
            self.proc = subprocess.Popen(
                [*self._java(), "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                 "-XX:CICompilerCount=1", "kafka.Kafka", str(self.dir / "server.properties")],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        if not self._wait_ready():
            raise AssertionError("the Kafka broker did not start again: " + self.log_tail())

    def stop(self):
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)


class Mosquitto:
    """A real mosquitto broker (Debian's) on a free loopback port, anonymous, no
    persistence; publishing and subscribing through paho-mqtt, MQTT 5."""

    def __init__(self, port=None, tls=False):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="nimbus-mqtt-"))
        self.ca_file = None
        tls_lines = ""
        if tls:  # TLS only, with a self-signed certificate (`ca_file`)
            self.ca_file, key = self_signed_certificate(self.dir)
            # Started as root, mosquitto reads them as the user it drops to.
            os.chmod(self.dir, 0o755)
            os.chmod(key, 0o644)
            tls_lines = f"certfile {self.ca_file}\nkeyfile {key}\n"
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\n{tls_lines}allow_anonymous true\npersistence false\n"
            "max_queued_messages 100000\n")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.dir / "mosquitto.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError("mosquitto did not start")
                time.sleep(0.05)

    def client(self):
        import paho.mqtt.client as mqtt
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        if self.ca_file is not None:
            c.tls_set(ca_certs=str(self.ca_file))
        c.connect("127.0.0.1", self.port)
        c.loop_start()
        return c

    def publish(self, topic, payloads, qos=1, user_properties=None, content_type=None):
        """Publishes each payload and waits for the broker to take it (PUBACK for QoS 1)."""
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        c = self.client()
        try:
            sent = []
            for payload in payloads:
                props = Properties(PacketTypes.PUBLISH)
                if user_properties:
                    props.UserProperty = list(user_properties.items())
                if content_type:
                    props.ContentType = content_type
                sent.append(c.publish(topic, payload, qos=qos, properties=props))
            for s in sent:
                s.wait_for_publish(30)
        finally:
            c.loop_stop()
            c.disconnect()

    def request(self, topic, payload, timeout=20):
        """Publishes with a response topic and correlation data; returns (body, correlation) of the answer."""
        import queue
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties
        answers = queue.Queue()
        c = self.client()
        try:
            c.on_message = lambda _c, _u, m: answers.put((m.payload, getattr(m.properties, "CorrelationData", None)))
            c.subscribe("replies/test", qos=1)
            time.sleep(0.2)
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = "replies/test"
            props.CorrelationData = b"corr-1"
            c.publish(topic, payload, qos=1, properties=props).wait_for_publish(10)
            return answers.get(timeout=timeout)
        finally:
            c.loop_stop()
            c.disconnect()

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
