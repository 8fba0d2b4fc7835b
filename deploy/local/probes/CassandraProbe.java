// Readiness probe for the local Cassandra node, run by deploy/local/cassandra.sh with Cassandra's
// own jars on the classpath: connects with the DataStax Java driver that Cassandra's dependency
// tree ships and runs `SELECT release_version FROM system.local`, retrying until the timeout.
//
// usage: java -cp <probe>:<cassandra lib>/* CassandraProbe HOST PORT TIMEOUT_SECONDS

import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.Session;
import java.util.concurrent.TimeUnit;

public final class CassandraProbe {
  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try (Cluster cluster =
              Cluster.builder()
                  .addContactPoint(host)
                  .withPort(port)
                  .withoutJMXReporting()
                  .withoutMetrics()
                  .build();
          Session session = cluster.connect()) {
        Row row = session.execute("SELECT release_version FROM system.local").one();
        System.out.println(
            "release_version "
                + row.getString("release_version")
                + ", protocol "
                + cluster.getConfiguration().getProtocolOptions().getProtocolVersion());
        return;
      } catch (RuntimeException e) {
        last = e;
        Thread.sleep(500);
      }
    }
    System.err.println("Cassandra at " + host + ":" + port + " not ready: " + last);
    System.exit(1);
  }
}
