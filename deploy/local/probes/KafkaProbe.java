// Readiness probe for the local Kafka broker, run by deploy/local/kafka.sh with the broker's own
// jars on the classpath: asks for the cluster metadata through the real AdminClient, creates the
// requested topics if missing, and waits until every partition has a leader.
//
// usage: java -cp <probe>:<kafka libs>/* KafkaProbe BOOTSTRAP TIMEOUT_SECONDS PARTITIONS TOPIC...

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

public final class KafkaProbe {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
    int partitions = Integer.parseInt(args[2]);
    List<String> topics = List.of(args).subList(3, args.length);

    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "spur-readiness-probe");

    Exception last = null;
    try (Admin admin = Admin.create(props)) {
      while (System.nanoTime() < deadline) {
        try {
          String report = probe(admin, partitions, topics);
          System.out.println(report);
          return;
        } catch (ExecutionException | RuntimeException e) {
          last = e;
          Thread.sleep(500);
        }
      }
    }
    System.err.println("Kafka at " + bootstrap + " not ready: " + last);
    System.exit(1);
  }

  private static String probe(Admin admin, int partitions, List<String> topics)
      throws ExecutionException, InterruptedException {
    String clusterId = admin.describeCluster().clusterId().get();
    List<Node> nodes = new ArrayList<>(admin.describeCluster().nodes().get());
    if (nodes.isEmpty()) {
      throw new IllegalStateException("no broker in the cluster metadata");
    }
    Set<String> existing = admin.listTopics().names().get();
    List<NewTopic> missing = new ArrayList<>();
    for (String topic : topics) {
      if (!existing.contains(topic)) {
        missing.add(new NewTopic(topic, partitions, (short) 1));
      }
    }
    if (!missing.isEmpty()) {
      try {
        admin.createTopics(missing).all().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
    StringBuilder report = new StringBuilder();
    report.append("cluster ").append(clusterId).append(", ").append(nodes.size()).append(" broker(s)");
    Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get();
    for (String topic : topics) {
      TopicDescription d = described.get(topic);
      for (TopicPartitionInfo p : d.partitions()) {
        if (p.leader() == null || p.leader().isEmpty()) {
          throw new IllegalStateException(topic + "-" + p.partition() + " has no leader yet");
        }
      }
      report.append(", topic ").append(topic).append(" (").append(d.partitions().size()).append(" partitions)");
    }
    return report.toString();
  }
}
