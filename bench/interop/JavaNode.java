// One Java ElasticJob-Lite 3.0.4 instance for the mixed-cluster interop run
// (bench/interop/java-mixed.mjs builds ElasticJob from its source and compiles this file
// against it). It runs one simple job and prints each handler start and end as a JSON line on
// stdout, in the shape bench/soak/soak-node.mjs prints them, so one judge reads both.
//   args: serverLists namespace instanceLabel jobName cron shardingTotalCount itemMs sessionTimeoutMs
// SIGTERM shuts the job down gracefully (ScheduleJobBootstrap.shutdown), as a JVM's shutdown
// hook would in production.

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.shardingsphere.elasticjob.api.JobConfiguration;
import org.apache.shardingsphere.elasticjob.api.ShardingContext;
import org.apache.shardingsphere.elasticjob.lite.api.bootstrap.impl.ScheduleJobBootstrap;
import org.apache.shardingsphere.elasticjob.reg.zookeeper.ZookeeperConfiguration;
import org.apache.shardingsphere.elasticjob.reg.zookeeper.ZookeeperRegistryCenter;
import org.apache.shardingsphere.elasticjob.simple.job.SimpleJob;

public final class JavaNode {

    static final PrintStream OUT = System.out;

    static String label;

    static synchronized void emit(final String json) {
        OUT.println(json);
        OUT.flush();
    }

    static String quote(final String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    public static void main(final String[] args) throws Exception {
        String serverLists = args[0];
        String namespace = args[1];
        label = args[2];
        String jobName = args[3];
        String cron = args[4];
        int count = Integer.parseInt(args[5]);
        long itemMs = Long.parseLong(args[6]);
        int sessionTimeoutMs = Integer.parseInt(args[7]);

        ZookeeperConfiguration zk = new ZookeeperConfiguration(serverLists, namespace);
        zk.setSessionTimeoutMilliseconds(sessionTimeoutMs);
        zk.setConnectionTimeoutMilliseconds(Math.max(sessionTimeoutMs, 3000));
        ZookeeperRegistryCenter registry = new ZookeeperRegistryCenter(zk);
        registry.init();

        JobConfiguration config = JobConfiguration.newBuilder(jobName, count)
                .cron(cron)
                .monitorExecution(true)
                .failover(false)
                .misfire(true)
                .jobErrorHandlerType("IGNORE")
                .build();
        ScheduleJobBootstrap bootstrap = new ScheduleJobBootstrap(registry, new MixedJob(jobName, itemMs), config);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            emit("{\"t\":\"stopping\",\"instance\":" + quote(label) + ",\"at\":" + System.currentTimeMillis() + "}");
            bootstrap.shutdown();
            registry.close();
            emit("{\"t\":\"closed\",\"instance\":" + quote(label) + ",\"at\":" + System.currentTimeMillis() + "}");
        }));
        bootstrap.schedule();
        emit("{\"t\":\"ready\",\"instance\":" + quote(label) + ",\"at\":" + System.currentTimeMillis() + "}");
        Thread.currentThread().join();
    }
}

final class MixedJob implements SimpleJob {

    private final String jobName;

    private final long itemMs;

    private final AtomicInteger runs = new AtomicInteger();

    MixedJob(final String jobName, final long itemMs) {
        this.jobName = jobName;
        this.itemMs = itemMs;
    }

    @Override
    public void execute(final ShardingContext context) {
        long at = System.currentTimeMillis();
        String run = JavaNode.label + "#" + runs.incrementAndGet();
        // A simple job is not told its fire time; with a cron every second and handlers that
        // start well within it, the second the run started in is its fire.
        long fire = at - at % 1000;
        JavaNode.emit("{\"t\":\"start\",\"run\":" + JavaNode.quote(run) + ",\"job\":" + JavaNode.quote(jobName)
                + ",\"item\":" + context.getShardingItem() + ",\"fire\":" + fire + ",\"source\":\"JAVA\",\"instance\":"
                + JavaNode.quote(JavaNode.label) + ",\"at\":" + at + "}");
        try {
            Thread.sleep(itemMs);
        } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
        }
        JavaNode.emit("{\"t\":\"end\",\"run\":" + JavaNode.quote(run) + ",\"at\":" + System.currentTimeMillis() + ",\"status\":\"done\"}");
    }
}
