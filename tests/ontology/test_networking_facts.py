"""Key networking facts of the graph (pod network, pause container, CNI, Services, service types, Ingress, external
traffic steps), asked with SPARQL over the reasoned graph, and every row of the networking tables with its exact text."""

from __future__ import annotations

import pyoxigraph as ox

from kubekg import ns

NETWORK_SLUGS = [
    "pod-network",
    "cni",
    "pod-network-issues",
    "service-network",
    "service-clusterip",
    "service-nodeport-loadbalancer",
]


def test_every_networking_table_row_is_in_its_section(kg, seed_tables) -> None:
    tables = [t for t in seed_tables if t.slug in NETWORK_SLUGS]
    assert {t.slug for t in tables} == set(NETWORK_SLUGS)
    for table in tables:
        table_iri = f"{ns.KR}table/{table.slug}-{table.number}"
        assert kg.ask(
            "ASK { GRAPH ?g { ?t a kg:Table ; kg:header ?h ; kg:inSection ?g } }",
            {"t": table_iri, "g": ns.SECTION + table.slug, "h": ox.Literal(table.header)},
        ), table_iri
        for i, text in enumerate(table.rows, 1):
            assert kg.ask(
                "ASK { GRAPH ?g { ?r a kg:TableRow ; kg:inTable ?t ; kg:rowIndex ?i ; kg:cells ?c ; kg:represents ?e } }",
                {
                    "r": f"{ns.KR}row/{table.slug}-{table.number}-{i}",
                    "t": table_iri,
                    "g": ns.SECTION + table.slug,
                    "i": ox.Literal(str(i), datatype=ox.NamedNode(ns.PREFIXES["xsd"] + "integer")),
                    "c": ox.Literal(text),
                },
            ), f"{table.slug} table {table.number} row {i}"


def test_pod_network(kg) -> None:
    assert kg.ask("ASK { kr:pod-network-stack kg:sharedByPodContainers true }")
    assert kg.ask(
        'ASK { kr:eth0-range kg:interfaceName "eth0" ; kg:exampleAddress "10.100.0.2" ; '
        "kg:configuredBy kr:cluster-operator ; kg:knownToOperator true }"
    )
    assert kg.ask("ASK { kr:container-bridge-range kg:knownToOperator false }")


def test_pause_container_shares_the_linux_namespace(en_labels, kg) -> None:
    who = en_labels("?x kg:hasResponsibility kr:responsibility-shared-linux-namespace")
    assert who == {"pause container"}


def test_cni(kg) -> None:
    assert kg.ask("ASK { kr:cni kg:kubernetesOnly false ; kg:operatesPer kr:Pod }")
    assert {
        r["r"].value.rsplit("/", 1)[1]
        for r in kg.select("SELECT ?r WHERE { kr:cni kg:hasResponsibility ?r }")
    } == {"responsibility-container-network-connectivity", "responsibility-network-resource-release"}
    plugin = {
        r["r"].value.rsplit("/", 1)[1]
        for r in kg.select("SELECT ?r WHERE { kr:cni-plugin kg:hasResponsibility ?r }")
    }
    assert {
        "responsibility-container-network-connectivity",
        "responsibility-ipam",
        "responsibility-routing",
    } <= plugin
    assert kg.ask("ASK { kr:kube-proxy kg:notInvolvedIn kr:responsibility-pod-to-pod-communication }")
    assert not kg.ask("ASK { kr:kube-proxy kg:hasResponsibility kr:responsibility-pod-to-pod-communication }")


def test_why_services_exist(kg) -> None:
    assert kg.ask("ASK { kr:Service kg:solves kr:pod-network-issue-1 , kr:pod-network-issue-2 }")


def test_service_types(en_labels, kg) -> None:
    types = en_labels("?x a kg:ServiceType")
    assert types == {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}
    assert en_labels("?x kg:isDefaultServiceType true") == {"ClusterIP"}
    assert en_labels("?x kg:usesLoadBalancerOf ?lb . ?lb kg:usedInEnvironment kr:public-cloud") == {
        "LoadBalancer"
    }
    assert kg.ask(
        "ASK { kr:ClusterIP kg:externallyAccessible false . kr:NodePort kg:externallyAccessible true }"
    )
    for t in types:
        for prop in ("purpose", "whenToUse"):
            langs = {
                r["v"].language
                for r in kg.select(
                    "SELECT ?v WHERE { ?x a kg:ServiceType ; rdfs:label ?l ; ?p ?v }",
                    {"l": ox.Literal(t, language="en"), "p": ns.KG + prop},
                )
            }
            assert langs == {"en", "ko"}, (t, prop)


def test_nodeport_range(kg) -> None:
    rows = kg.select(
        "SELECT ?s ?e ?r WHERE { kr:NodePort kg:portRangeStart ?s ; kg:portRangeEnd ?e ; kg:portRange ?r }"
    )
    assert [(int(r["s"].value), int(r["e"].value), r["r"].value) for r in rows] == [
        (30000, 32767, "30000-32767")
    ]
    assert kg.ask(
        "ASK { kr:NodePort kg:opensPortOnAllNodes true ; kg:servicesPerPort 1 ; kg:recommendedWith kr:external-load-balancer }"
    )


def test_loadbalancer_and_metallb(kg) -> None:
    assert kg.ask("ASK { kr:LoadBalancer kg:createsLoadBalancerPerService true }")
    assert kg.ask(
        "ASK { kr:MetalLB kg:loadBalancerFor kr:LoadBalancer ; kg:usedInEnvironment kr:private-environment }"
    )


def test_externalname_is_a_dns_alias(kg) -> None:
    assert kg.ask('ASK { kr:ExternalName kg:dnsRecordType "CNAME" ; kg:proxiesTraffic false }')


def test_ingress_is_not_a_service_type(en_labels, kg) -> None:
    assert not kg.ask("ASK { kr:Ingress a kg:ServiceType }")
    assert kg.ask("ASK { kr:Ingress kg:isServiceType false ; kg:loadBalancingLayer 7 }")
    assert kg.ask("ASK { kg:IngressResource owl:disjointWith kg:ServiceType }")
    assert en_labels("kr:Ingress kg:hasImplementation ?x") == {
        "Nginx",
        "Contour",
        "ELB",
        "Google Cloud Load Balancer",
        "Kong",
    }
    # the rule flags every service type
    assert kg.ask("ASK { kr:NodePort kg:isServiceType true }")


def test_kube_proxy_role(kg) -> None:
    assert kg.ask(
        "ASK { kr:kube-proxy kg:hasResponsibility kr:responsibility-network-rules , kr:responsibility-open-exposed-ports ; "
        "kg:usesMechanism kr:iptables }"
    )


def test_clusterip_limits(kg) -> None:
    rows = kg.select("SELECT ?l ?by WHERE { kr:ClusterIP kg:hasLimitation ?l . ?l kg:addressedBy ?by }")
    assert len({r["l"].value for r in rows}) == 2
    assert {r["by"].value.rsplit("/", 1)[1] for r in rows} == {"NodePort", "LoadBalancer", "Ingress"}


def test_five_steps_of_external_traffic(kg) -> None:
    rows = kg.select(
        "SELECT ?s ?o WHERE { ?s a kg:TrafficStep ; kg:partOfProcedure kr:external-to-internal-traffic ; kg:order ?o }"
    )
    assert sorted(int(r["o"].value) for r in rows) == [1, 2, 3, 4, 5]
    # walk the nextStep chain from step 1
    step, seen = ns.KR + "external-traffic-step-1", []
    while step:
        seen.append(step)
        nxt = kg.select("SELECT ?n WHERE { ?s kg:nextStep ?n }", {"s": step})
        step = nxt[0]["n"].value if nxt else None
    assert [s.rsplit("-", 1)[1] for s in seen] == ["1", "2", "3", "4", "5"]
    assert kg.ask("ASK { kr:external-traffic-step-3 kg:performedBy kr:kube-proxy }")
    # derived path: LB VIP -> node port -> Cluster IP -> pod IP
    assert kg.ask(
        "ASK { kr:lb-virtual-ip kg:forwardsTo kr:node-port-address . kr:node-port-address kg:forwardsTo kr:cluster-ip-address . "
        "kr:cluster-ip-address kg:forwardsTo kr:pod-ip }"
    )
